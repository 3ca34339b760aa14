function rezToPhy(rez, savePath)
% Stub: records the folder and writes the one file the test checks for.
ks_stub_call('rezToPhy', savePath);
fid = fopen(fullfile(savePath, 'params.py'), 'w');
fprintf(fid, 'n_channels_dat = %i\n', rez.ops.NchanTOT);
fclose(fid);
end

function mexcuda(varargin)
% Stub of MATLAB's mexcuda: records its arguments and writes <outdir>/<name>.<mexext> as a real build would.
% KS_GUI_STUB_FAIL=mexcuda_file:<name> makes the build of <name>.cu fail.
args = varargin;
outdir = args{find(strcmp(args, '-outdir')) + 1};
[~, name] = fileparts(args{end});
ks_stub_call('mexcuda', strjoin(args, ' '));
fprintf('Building with ''NVIDIA CUDA Compiler''.\n');
if strcmp(getenv('KS_GUI_STUB_FAIL'), ['mexcuda_file:' name])
    error('ks_stub:mex', 'nvcc fatal : stub compile failure of %s.cu', name);
end
fid = fopen(fullfile(outdir, [name '.' mexext]), 'w');
fprintf(fid, 'stub mex file\n');
fclose(fid);
fprintf('MEX completed successfully.\n');
end

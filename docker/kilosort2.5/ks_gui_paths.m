function ks_gui_paths()
% KS_GUI_PATHS  Put Kilosort 2.5, npy-matlab and the ks-gui driver on the MATLAB path.
%
% Called by the image's startup.m and again by ks_gui_run (matlab-batch skips startup.m), so it must be cheap
% and idempotent. The install root is /opt/ks-gui unless KS_GUI_ROOT says otherwise; folders that are not there
% are skipped, so the driver also runs outside the image (the Octave tests put stub Kilosort functions on the path).

root = getenv('KS_GUI_ROOT');
if isempty(root)
    root = '/opt/ks-gui';
end
kilosort = fullfile(root, 'kilosort');
npy = fullfile(root, 'npy-matlab', 'npy-matlab');
if exist(kilosort, 'dir') == 7
    addpath(genpath(kilosort));
end
if exist(npy, 'dir') == 7
    addpath(npy);
end
end

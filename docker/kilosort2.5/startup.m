% startup.m of the ks-gui Kilosort 2.5 image (docker/kilosort2.5). MATLAB runs it at start from
% ~/Documents/MATLAB; ks-gui's batch-token mode runs it explicitly, because matlab-batch skips startup.m.
% It is a script, not a function, so that run('<this file>') works too.

% Kilosort v2.5.2 and npy-matlab (ks_gui_paths.m lives on MATLABPATH, /opt/ks-gui/matlab).
addpath('/opt/ks-gui/matlab');
ks_gui_paths();

% The base image's own startup.m (it applies the proxy settings from MW_PROXY_HOST/MW_PROXY_PORT), kept by the
% Dockerfile under this name.
if exist('ks_gui_base_startup', 'file') == 2
    ks_gui_base_startup;
end

function ks_gui_run(job_file)
% KS_GUI_RUN  Run one ks-gui job with Kilosort 2.5 (v2.5.2) and leave a phy folder.
%
%   ks_gui_run('/abs/out/.ks-gui/job.json')
%
% The launcher ⇄ sorter contract (docker/CONTRACT.md, version 1) says what the job file holds and what this
% driver prints: MATLAB's and Kilosort's own lines, plus marker lines starting with '[ks-gui] ':
%   stage <name>, compile <i>/<n> <file>.cu, result units=<n> good=<n> spikes=<n>, error <kind>: <message>.
% The steps are those of Kilosort's main_kilosort.m, with ops built from the job instead of a config file.
%
% On any error the driver prints MATLAB's error report on stderr (as -batch does for an uncaught error), then the
% error marker, and exits with status 1. It never waits for input (no keyboard, no figures: ops.fig = 0).
% It runs under GNU Octave too, which is how tests/docker checks it with stub Kilosort functions.

kind = 'job_file';  % what failed, for the error marker; each step below names its own
try
    say('[ks-gui] stage start');
    ks_gui_paths();  % startup.m did this already, but matlab-batch skips startup.m
    job = read_job(job_file);

    kind = 'gpu';
    use_gpu(job);

    kind = 'mex_compile_failed';
    say('[ks-gui] stage compile');
    compile_missing_mex(job.mex_cache);
    % The cache goes first, so the mex files compiled for this image win over anything else on the path.
    addpath(job.mex_cache, '-begin');

    kind = 'channel_map';
    check_channel_map(job.channel_map);

    kind = 'kilosort';
    ops = ops_from_job(job);
    say(sprintf('Looking for data inside %s ', fileparts(ops.fbinary)));

    say('[ks-gui] stage preprocess');
    rez = preprocessDataSub(ops);

    say('[ks-gui] stage drift');
    rez = datashift2(rez, 1);  % prints nothing when nblocks is 0

    % learnAndSolve8b runs template learning and extraction; the launcher sees extraction begin at the
    % second "Optimizing templates" line.
    say('[ks-gui] stage learn');
    rez = learnAndSolve8b(rez, 1);

    say('[ks-gui] stage merge_split');
    rez = find_merges(rez, 1);
    rez = splitAllClusters(rez, 1);
    rez = set_cutoff(rez);
    rez.good = get_good_units(rez);
    say(sprintf('found %d good units ', sum(rez.good > 0)));

    kind = 'export';
    say('[ks-gui] stage export');
    say('Saving results to Phy  ');
    rezToPhy(rez, job.output);
    save_rez(rez, job.output);

    say(sprintf('[ks-gui] result units=%d good=%d spikes=%d', numel(rez.good), sum(rez.good > 0), size(rez.st3, 1)));
    say('[ks-gui] stage done');
catch err
    fail(kind, err);
end
end


% --------------------------------------------------------------------------------------------------------------
% The job file

function job = read_job(job_file)
if ~ischar(job_file) || isempty(job_file)
    error('ks_gui:job_file', 'ks_gui_run needs the path of a job file');
end
try
    text = fileread(job_file);
catch cause
    error('ks_gui:job_file', 'cannot read the job file %s (%s)', job_file, one_line(cause.message));
end
try
    job = jsondecode(text);
catch cause
    error('ks_gui:job_file', 'the job file %s is not valid JSON (%s)', job_file, one_line(cause.message));
end
if ~isstruct(job)
    error('ks_gui:job_file', 'the job file %s does not hold a JSON object', job_file);
end
required = {'contract', 'binary', 'n_channels', 'sample_rate', 'output', 'temp_file', 'mex_cache', ...
    'channel_map', 'params'};
for i = 1:numel(required)
    if ~isfield(job, required{i})
        error('ks_gui:job_file', 'the job file %s has no "%s"', job_file, required{i});
    end
end
if job.contract ~= 1
    error('ks_gui:job_file', 'the job file %s speaks contract %g; this image speaks contract 1', ...
        job_file, job.contract);
end
if ~isstruct(job.params)
    error('ks_gui:job_file', '"params" in the job file %s is not a JSON object', job_file);
end
if ~isfield(job, 'forward_compat') || isempty(job.forward_compat)
    job.forward_compat = false;
end
end


function ops = ops_from_job(job)
% Every parameter in the job becomes an ops field (null -> Inf, JSON arrays -> row vectors); the paths and the
% channel count come from the job's top level, and figures are always off (there is no display).
ops = struct();
names = fieldnames(job.params);
for i = 1:numel(names)
    ops.(names{i}) = matlab_value(job.params.(names{i}));
end
ops.fbinary = job.binary;
ops.fproc = job.temp_file;
ops.chanMap = job.channel_map;
ops.NchanTOT = double(job.n_channels);
ops.fs = double(job.sample_rate);
if ~isfield(ops, 'trange')
    ops.trange = [0 Inf];
end
ops.fig = 0;
end


function value = matlab_value(value)
% jsondecode gives null as [] on its own and as NaN inside a numeric array; the contract says null means Inf.
% It gives JSON arrays as column vectors; Kilosort's config files write rows.
if isnumeric(value)
    if isempty(value)
        value = Inf;
        return
    end
    value = double(value);
    value(isnan(value)) = Inf;
    if isvector(value)
        value = reshape(value, 1, []);
    end
elseif iscell(value)  % a JSON array mixing numbers and other things: keep it, nulls as Inf
    for i = 1:numel(value)
        value{i} = matlab_value(value{i});
    end
end
end


% --------------------------------------------------------------------------------------------------------------
% GPU, compiled files, channel map

function use_gpu(job)
if job.forward_compat
    % A GPU newer than this MATLAB's CUDA libraries (e.g. Hopper on R2021b) runs only with forward compatibility,
    % which must be switched on before the GPU is first used.
    parallel.gpu.enableCUDAForwardCompatibility(true);
end
gpuDevice(1);  % the launcher gives the container one GPU; MATLAB numbers it 1
end


function compile_missing_mex(cache)
% Compile into the cache the mex files missing there, with the flags of Kilosort's CUDA/mexGPUall.m (v2.5.2),
% in its order. Each file is built in a private folder and then renamed into the cache, so a run that is
% stopped mid-compile never leaves a broken file that a later run would take for a finished one.
specs = mex_specs();
cuda_dir = fileparts(which('mexGPUall'));
if isempty(cuda_dir)
    error('ks_gui:kilosort_missing', 'Kilosort''s CUDA folder (mexGPUall.m) is not on the MATLAB path');
end
if exist(cache, 'dir') ~= 7
    [ok, message] = mkdir(cache);
    if ~ok
        error('ks_gui:mex_cache', 'cannot create the mex cache folder %s: %s', cache, message);
    end
end
build_dir = tempname(cache);  % made only when something is compiled
try
    compile_each(specs, cuda_dir, cache, build_dir);
catch err
    remove_folder(build_dir);
    rethrow(err);
end
remove_folder(build_dir);
end


function compile_each(specs, cuda_dir, cache, build_dir)
n = size(specs, 1);
for i = 1:n
    name = specs{i, 1};
    target = fullfile(cache, [name '.' mexext]);
    if exist(target, 'file')
        continue
    end
    if exist(build_dir, 'dir') ~= 7
        [ok, message] = mkdir(build_dir);
        if ~ok
            error('ks_gui:mex_cache', 'cannot write into the mex cache folder %s: %s', cache, message);
        end
    end
    say(sprintf('[ks-gui] compile %d/%d %s.cu', i, n, name));
    mexcuda('-largeArrayDims', specs{i, 2}{:}, '-outdir', build_dir, fullfile(cuda_dir, [name '.cu']));
    [ok, message] = movefile(fullfile(build_dir, [name '.' mexext]), target, 'f');
    if ~ok
        error('ks_gui:mex_cache', 'cannot move %s into the mex cache %s: %s', name, cache, message);
    end
end
end


function remove_folder(folder)
if ~isempty(folder) && exist(folder, 'dir') == 7
    rmdir(folder, 's');
end
end


function specs = mex_specs()
% {name, extra mexcuda flags}, as CUDA/mexGPUall.m (v2.5.2) compiles them (enableStableMode = true).
specs = {
    'spikedetector3', {}
    'mexThSpkPC', {}
    'mexGetSpikes2', {}
    'mexMPnu8', {'-dynamic', '-DENABLE_STABLEMODE'}
    'mexSVDsmall2', {}
    'mexWtW2', {}
    'mexFilterPCs', {}
    'mexClustering2', {}
    'mexDistances2', {}
    };
end


function check_channel_map(path)
% Kilosort would only say "Could not find channel map file"; load it here to name what is wrong.
if exist(path, 'file') ~= 2
    error('ks_gui:channel_map', 'the channel map %s does not exist', path);
end
contents = load(path);
if ~isfield(contents, 'chanMap')
    error('ks_gui:channel_map', 'the channel map %s has no chanMap variable', path);
end
end


% --------------------------------------------------------------------------------------------------------------
% Results, output, errors

function save_rez(rez, folder)
% As main_kilosort.m: drop the features, sort the spikes, gather GPU arrays, save rez2.mat.
rez.cProj = [];
rez.cProjPC = [];
[~, order] = sortrows(rez.st3);
rez.st3 = rez.st3(order, :);
names = fieldnames(rez);
for i = 1:numel(names)
    if isa(rez.(names{i}), 'gpuArray')
        rez.(names{i}) = gather(rez.(names{i}));
    end
end
say('Saving final results in rez2  ');
if is_octave()
    save(fullfile(folder, 'rez2.mat'), 'rez', '-v7');  % Octave (the tests) has no -v7.3
else
    save(fullfile(folder, 'rez2.mat'), 'rez', '-v7.3');
end
end


function fail(kind, err)
% MATLAB's own report on stderr, then one marker line on stdout, then exit status 1 (no prompt, no hang).
fprintf(2, '%s\n', error_report(err));
say(sprintf('[ks-gui] error %s: %s', error_kind(kind, err), one_line(err.message)));
exit(1);
end


function kind = error_kind(kind, err)
% Known Kilosort and MATLAB failures get the launcher's kind names (ks_gui/core/diagnosis.py).
message = err.message;
if ~isempty(strfind(message, 'Out of memory on device'))
    kind = 'gpu_out_of_memory';
elseif strncmp(message, 'Out of memory.', 14)
    kind = 'host_out_of_memory';
elseif ~isempty(regexp(message, 'Undefined function .(spikedetector3|mex\w+)', 'once'))
    kind = 'mex_missing';
elseif ~isempty(strfind(message, 'Check available disk space'))
    kind = 'disk_full';
elseif any(strcmp({err.stack.name}, 'extractTemplatesfromSnippets'))
    kind = 'too_few_spikes';
elseif strcmp(err.identifier, 'ks_gui:job_file')
    kind = 'job_file';
end
end


function report = error_report(err)
if ~is_octave()
    report = getReport(err, 'extended', 'hyperlinks', 'off');
    return
end
% Octave has no getReport: the same layout, built from the stack.
if isempty(err.stack)
    report = sprintf('Error using ks_gui_run\n%s', err.message);
    return
end
report = sprintf('Error using %s (line %d)\n%s\n', err.stack(1).name, err.stack(1).line, err.message);
for i = 2:numel(err.stack)
    report = [report, sprintf('\nError in %s (line %d)', err.stack(i).name, err.stack(i).line)]; %#ok<AGROW>
end
end


function text = one_line(text)
text = strtrim(regexprep(text, '\s*[\r\n]+\s*', ' '));
end


function say(text)
fprintf(1, '%s\n', text);
if is_octave()
    fflush(stdout);  % keep stdout in step with stderr when both go to one pipe
end
end


function yes = is_octave()
yes = exist('OCTAVE_VERSION', 'builtin') ~= 0;
end

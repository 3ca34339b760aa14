function rez = preprocessDataSub(ops)
% Stub: saves the ops it was given (KS_GUI_STUB_OPS, a .mat path) so the test can check the job -> ops mapping.
ops_file = getenv('KS_GUI_STUB_OPS');
if ~isempty(ops_file)
    save(ops_file, '-v7', 'ops');
end
ks_stub_call('preprocessDataSub', ops.fbinary);
fprintf('Time %3.0fs. Computing whitening matrix.. \n', 0);
rez.ops = ops;
end

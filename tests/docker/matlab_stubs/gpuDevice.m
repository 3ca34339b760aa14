function gpuDevice(index)
% Stub of the Parallel Computing Toolbox's gpuDevice: records which device was selected.
ks_stub_call('gpuDevice', sprintf('%d', index));
end

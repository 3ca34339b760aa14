function enableCUDAForwardCompatibility(on)
% Stub of parallel.gpu.enableCUDAForwardCompatibility: records the call.
ks_stub_call('enableCUDAForwardCompatibility', sprintf('%d', on));
end

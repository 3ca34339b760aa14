function rez = datashift2(rez, do_correction)
ks_stub_call('datashift2', sprintf('%d', do_correction));
fprintf('pitch is %d um\n', 20);
end

function rez = set_cutoff(rez)
ks_stub_call('set_cutoff', '');
end

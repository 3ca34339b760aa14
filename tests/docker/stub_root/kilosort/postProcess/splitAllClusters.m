function rez = splitAllClusters(rez, flag)
ks_stub_call('splitAllClusters', sprintf('%d', flag));
end

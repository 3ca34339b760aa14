function rez = find_merges(rez, flag)
ks_stub_call('find_merges', sprintf('%d', flag));
fprintf('initialized spike counts\n');
end

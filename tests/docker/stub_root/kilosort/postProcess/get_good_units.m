function good = get_good_units(rez)
ks_stub_call('get_good_units', '');
good = [1; 0; 1; 1];
end

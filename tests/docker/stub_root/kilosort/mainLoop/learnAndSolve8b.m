function rez = learnAndSolve8b(rez, iseed)
ks_stub_call('learnAndSolve8b', sprintf('%d', iseed));
fprintf('Time %3.0fs. Optimizing templates ...\n', 1);
fprintf('Time %3.0fs. Optimizing templates ...\n', 2);
% four units, ten spikes (times deliberately unsorted)
rez.st3 = [(10:-1:1)', mod((1:10)', 4) + 1, ones(10, 2)];
rez.cProj = zeros(10, 2);
rez.cProjPC = zeros(10, 3, 2);
end

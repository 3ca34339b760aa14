"""The ground every part of core stands on: the contract's constants, where files live, atomic writes, paths in
words, time-left wording. Imports nothing else of ks_gui."""

"""What a sort leaves and what is shown of it: the phy folder, provenance, run history, phy itself."""

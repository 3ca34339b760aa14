"""The faces' doors into places/ for what is not a sort (a sort goes through core/sorting.py): this computer's engine,
images, the Kilosort 4 installer, saved servers and clusters, phy in a container. The window and the CLI come here,
never to a place's internals; each door loads the heavy module behind it (docker, paramiko) only when first used."""

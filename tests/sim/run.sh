#!/bin/sh
# Entrypoint of the ks-gui stand-in image (test fixture, never shipped).
# Mimics the licensing logic of the MATLAB image's run.sh (checkLicensing in
# mathworks-ref-arch/container-images matlab/build/utils.sh), then execs matlab with the arguments.

trap 'exit 143' TERM INT

ARGLIST=""
LICENSE_MESSAGE=""
if [ -n "${MLM_LICENSE_FILE}" ]; then
    if echo "${MLM_LICENSE_FILE}" | grep -qEo "[0-9]+@.+"; then
        LICENSE_MESSAGE="Licensing MATLAB using the license manager $MLM_LICENSE_FILE."
    else
        # Check that file exists otherwise exit immediately (a bare exit: status 0, as in the real script).
        if [ ! -f "${MLM_LICENSE_FILE}" ]; then
            printf "The license file specified does not exist.\n"
            exit
        fi
        LICENSE_MESSAGE="Licensing MATLAB using license file $MLM_LICENSE_FILE."
    fi
else
    # MathWorks account (online) licensing
    ARGLIST="-licmode online"
fi

# The real script tests the misspelt, never-set LICENCE_MESSAGE, so it always echoes (empty line online).
echo "${LICENSE_MESSAGE}"

cd ~/Documents/MATLAB/ || exit 1
# shellcheck disable=SC2086 # ARGLIST is meant to split, like the real script's eval
exec matlab ${ARGLIST} "$@"

#!/bin/bash
# t_dnssec_xfr_nsec.sh - t_dnssec_xfr.sh with NSEC denial and Ed25519: NSD
# and Knot secondaries serve the NSEC chain ddnsd keeps, a validating Unbound
# at each answers with the ad flag, and the IXFR carries the NSEC changes.
DNSSEC_DENIAL=nsec DNSSEC_ALG=ed25519 exec bash "$(dirname "$0")/t_dnssec_xfr.sh"

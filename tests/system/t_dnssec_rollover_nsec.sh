#!/bin/bash
# t_dnssec_rollover_nsec.sh - t_dnssec_rollover.sh with NSEC denial: the NSEC
# records are re-signed by the new ZSK like every other RRset and the zone
# validates throughout both rollovers.
DNSSEC_DENIAL=nsec exec bash "$(dirname "$0")/t_dnssec_rollover.sh"

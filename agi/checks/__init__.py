"""`appliance doctor`'s checks of the telephony side (appliance.doctor entry points); their
texts are N_-marked like the domain's, said in the box's language (appliance/system/checks)."""

#ifndef STYRBORD_CLIBPQ_SHIM_H
#define STYRBORD_CLIBPQ_SHIM_H

// Debian installs libpq's headers under include/postgresql; pkg-config adds that folder.
#include <libpq-fe.h>

#endif

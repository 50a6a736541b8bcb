/*
 * imaged/sandbox_int.h — what sandbox.c shares with sandbox_probe.c, and nothing else does.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef VIGIL_IMAGED_SANDBOX_INT_H
#define VIGIL_IMAGED_SANDBOX_INT_H

#include <linux/capability.h>

#define ISB_NSTEPS 10

/* The steps' names, by bit number in enum isb_step ("userns", "net", ...). */
extern const char *const isb_step_names[ISB_NSTEPS];

/* capget(2) of this process into data; 0, or -1 with errno. */
int isb_cap_get(struct __user_cap_data_struct data[2]);

#endif

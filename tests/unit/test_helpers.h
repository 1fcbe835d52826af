/* SPDX-License-Identifier: MIT */
/* Includes every cmocka test needs, in the order cmocka requires. */
#ifndef OPENSNOOPD_TEST_HELPERS_H
#define OPENSNOOPD_TEST_HELPERS_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#endif

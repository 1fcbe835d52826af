/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_BPF_PROGRAM_H
#define OPENSNOOPD_BPF_PROGRAM_H

/* bpf_src/ as libbcc compiles it: generated at build time by cmake/embed_bpf.cmake. */
extern const char bpf_program_text[];

#endif

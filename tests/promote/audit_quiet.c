/*
 * audit_quiet.c - an LD_AUDIT library that audits nothing (tests/promote/
 * run.sh): its presence alone must turn promotion off (an auditor's PLT
 * hooks, sotruss's for one, run glibc's profiling trampoline on the
 * sampler's PLT call, which loses the vector registers a jump site or a
 * preserve_all caller keeps live).
 */
#define _GNU_SOURCE /* LAV_CURRENT */
#include <link.h>

unsigned int la_version(unsigned int version)
{
	return version < LAV_CURRENT ? version : LAV_CURRENT;
}

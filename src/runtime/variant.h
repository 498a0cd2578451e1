/* variant.h — what a variant folder gives the runtime it names.
 *
 * A runtime here is one design (threads, loop, HTTP client); a variant is that design
 * with a name, a one-line summary and a default read size, all stated as data in
 * variants/<v>/variant.mk (RUNTIME, HTTP, READ_SIZE, SUMMARY). The Makefile compiles the
 * runtime named there once per variant with these three macros, so the runtime file
 * ends in the variant's tdm_variant_runtime and `diff -r variants/a variants/b` is the
 * whole difference between two variants of one design:
 *   TDM_VARIANT_NAME     the variant's name, the seed's label ("smol-1kb")
 *   TDM_VARIANT_SUMMARY  the line `info` prints
 *   TDM_READ_SIZE        bytes per read (or libcurl's receive buffer) unless --read-buf */
#ifndef TDM_RUNTIME_VARIANT_H
#define TDM_RUNTIME_VARIANT_H

#if !defined(TDM_VARIANT_NAME) || !defined(TDM_VARIANT_SUMMARY) || !defined(TDM_READ_SIZE)
#error "a runtime is compiled per variant: name it as RUNTIME in variants/<v>/variant.mk and build with make"
#endif

#endif

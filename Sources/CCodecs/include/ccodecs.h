#ifndef JOULEBENCH_CCODECS_H
#define JOULEBENCH_CCODECS_H
/* C shim over libjpeg-turbo and libpng. Filled in by the imaging work. */
#endif

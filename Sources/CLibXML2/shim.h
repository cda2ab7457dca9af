#ifndef SYNOPTIC_CLIBXML2_SHIM_H
#define SYNOPTIC_CLIBXML2_SHIM_H
/* libxml2's headers include the system ICU when libxml2 was built with it;
   those declarations clash with the ICU inside Swift's Foundation. We use no
   ICU-dependent libxml2 API (only pointers to encoding handlers), so the ICU
   parts of the headers are left out. */
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>
#include <libxml/xmlsave.h>

/* xmlFree is a global function pointer; Swift 6 treats it as shared mutable
   state, so it is called through a function. */
static inline void synoptic_xml_free(void *p) { xmlFree(p); }
#endif

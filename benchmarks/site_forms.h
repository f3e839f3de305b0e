/* site_forms.h - what site_forms.S and site_forms.c share. */
#define SF_SITES 512 /* the spread loops' sites in a row */

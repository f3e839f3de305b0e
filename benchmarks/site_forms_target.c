/* site_forms_target.c - the opaque target of site_forms.S's calls (its
 * own unit: no caller sees its body). */
long sf_target(long x);
long sf_target(long x)
{
	return x + 1;
}

/* inline_cost_target.c - the opaque targets of inline_cost.c, in a unit
 * of their own (built without the plugin, -fno-ipa-ra for good measure:
 * the caller must assume every call-clobbered register is lost). */
long ret42(long x)
{
	(void)x;
	return 42;
}

long identity(long x)
{
	return x;
}

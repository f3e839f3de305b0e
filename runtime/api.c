/*
 * api.c - the exported entry points: the user API of staticcall.h and the
 * calls plugin-generated code makes. Each forwards to the process's one
 * registry (registry.c, chosen by process.c).
 */
#include <errno.h>

#include "internal.h"

SC_EXPORT void __staticcall_register(const struct sc_abi_object *obj)
{
	sc_registry()->reg(obj);
}

SC_EXPORT void __staticcall_unregister(const struct sc_abi_object *obj)
{
	sc_registry()->unreg(obj);
}

SC_EXPORT int __staticcall_update(void *key, void *target)
{
	return sc_registry()->update(key, target);
}

SC_EXPORT int __staticcall_update_null(void *key)
{
	return sc_registry()->update(key, NULL);
}

SC_EXPORT int __staticcall_update_ret0(void *key)
{
	return sc_registry()->update_ret0(key);
}

/* Inline forms (inline.c): an older serving copy has none. */
SC_EXPORT int __staticcall_update_const(void *key, unsigned long long value,
					int size)
{
	if (!sc_registry_has(update_const))
		return -ENOSYS;
	return sc_registry()->update_const(key, value, size);
}

SC_EXPORT int __staticcall_update_ret_arg(void *key, int n)
{
	if (!sc_registry_has(update_ret_arg))
		return -ENOSYS;
	return sc_registry()->update_ret_arg(key, n);
}

SC_EXPORT int static_call_verify(void)
{
	return sc_registry()->verify(0);
}

SC_EXPORT int static_call_resync(void)
{
	return sc_registry()->verify(1);
}

SC_EXPORT void __staticcall_store(void *key, void *value)
{
	sc_registry()->store(key, value);
}

SC_EXPORT void __staticcall_store_range(void *addr, size_t len)
{
	sc_registry()->store_range(addr, len);
}

SC_EXPORT void __staticcall_store_range_begin(void *addr, const void *src,
					      size_t len)
{
	/* an older serving copy has no such step: its window stays open */
	if (sc_registry_has(store_range_begin))
		sc_registry()->store_range_begin(addr, src, len);
}

SC_EXPORT int __staticcall_list_sites(const void *key,
				      struct static_call_site_info *buf,
				      size_t n)
{
	return sc_registry()->sites(key, buf, n);
}

SC_EXPORT int static_call_seal(int how)
{
	/* the serving copy of the runtime may predate static_call_seal */
	if (!sc_registry_has(seal))
		return -ENOSYS;
	return sc_registry()->seal(how);
}

SC_EXPORT int __staticcall_bind_now(const void *key)
{
	if (!key)
		return -EINVAL;
	if (!sc_registry_has(bind_now))
		return -ENOSYS;
	return sc_registry()->bind_now(key);
}

SC_EXPORT int static_call_bind_all(void)
{
	if (!sc_registry_has(bind_now))
		return -ENOSYS;
	return sc_registry()->bind_now(NULL);
}

SC_EXPORT const char *static_call_form_name(int form)
{
	/* reasons.h: one table with the inspector's */
	return sc_site_form_name(form);
}

/* Static keys (include/staticcall/kernel.h, runtime/static_keys.c). An
 * older serving copy of the runtime knows none: the sites stay on their
 * load and test, which the count alone drives. */
SC_EXPORT void __staticcall_jump_register(const void *begin, const void *end)
{
	if (sc_registry_has(jump_register))
		sc_registry()->jump_register(begin, end);
}

SC_EXPORT void __staticcall_jump_unregister(const void *begin)
{
	if (sc_registry_has(jump_unregister))
		sc_registry()->jump_unregister(begin);
}

SC_EXPORT int __staticcall_key_change(void *key, int op)
{
	if (!sc_registry_has(key_change))
		return sc_key_change_count(key, op);
	return sc_registry()->key_change(key, op);
}

SC_EXPORT int __staticcall_key_sites(const void *key,
				     struct static_key_site_info *buf, size_t n)
{
	if (!sc_registry_has(key_sites))
		return -ENOSYS;
	return sc_registry()->key_sites(key, buf, n);
}

/*
 * ismsctl keys list: the JWT key pairs the services see, oldest first.
 * isms-auth signs with the last one that has a private key.
 */
#include <stdio.h>

#include "ismsctl.h"

static json_t *
key_json(const struct auth_key *k)
{
	return json_pack("{s:s, s:b, s:o}", "kid", k->kid, "has_private_key",
			 k->private_pem != NULL, "created_at",
			 ctl_kid_created_at(k->kid));
}

int
ctl_keys_list(int argc, char **argv)
{
	struct auth_keyset ks;
	json_t *list;
	size_t i;
	int rc;

	rc = ctl_options(argc, argv, NULL, 0);
	if (rc != 0)
		return rc;
	if (ctl_keys_load(&ks, ctl_keys_dir()) != 0)
		return 1;
	list = json_array();
	for (i = 0; list != NULL && i < ks.nkeys; i++)
		if (json_array_append_new(list, key_json(&ks.keys[i])) != 0) {
			json_decref(list);
			list = NULL;
		}
	auth_keyset_free(&ks);
	return ctl_print_json(list);
}

/* SPDX-License-Identifier: MIT */
static __always_inline void count_n(__u32 stat, __u32 k)
{
        __u64 *n = stats.lookup(&stat);

        if (n)
                *n += k;
}

static __always_inline void count(__u32 stat)
{
        count_n(stat, 1);
}

/*
 * A record of uid's the kernel side could not send (as stat), which stood
 * for k opens (1, or a slot's repeats): counted in the total and, an open's,
 * by user too (a cgroup's record is not an open).
 */
static __always_inline void count_lost(__u32 stat, __u32 uid, __u32 k)
{
        __u64 first = k, *n;

        count_n(stat, k);
        if (stat == OPEN_STAT_CGROUP_FULL)
                return;
        n = lost_uids.lookup(&uid);
        if (n) {
                __sync_fetch_and_add(n, k);
                return;
        }
        /* another CPU may have added the user meanwhile; a full table leaves it to the total */
        if (lost_uids.insert(&uid, &first) != 0) {
                n = lost_uids.lookup(&uid);
                if (n)
                        __sync_fetch_and_add(n, k);
        }
}

static __always_inline int may_write(__u64 flags)
{
        return (flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC)) != 0;
}

/* An include/exclude list's verdict on one value: excluded, or not included while only included ones pass. */
static __always_inline int allowed(int include_only, __u8 *verdict)
{
        if (verdict && *verdict == FILTER_EXCLUDE)
                return 0;
        return !include_only || (verdict && *verdict == FILTER_INCLUDE);
}

/*
 * A path as an LPM trie key, in a per-CPU scratch buffer (260 bytes do not
 * belong on the stack): the path as passed, or (absolute) the absolute path
 * the kernel side built, which follows it in e->path.
 */
static __always_inline struct filter_prefix_key *path_key(struct open_event *e, int absolute)
{
        __u32 zero = 0, len = e->path_len, start = 0;
        struct filter_prefix_key *key = prefix_scratch.lookup(&zero);

        if (!key)
                return NULL;
        if (absolute) {
                start = e->path_len + 1;
                len = e->abs_len;
        }
        if (len > sizeof(key->data))
                len = sizeof(key->data);
        key->prefixlen = len * 8;
        bpf_probe_read_kernel(&key->data, sizeof(key->data), &e->path[start & (OPEN_PATH_MAX - 1)]);
        return key;
}

/*
 * Path prefixes are matched in an LPM trie: the longest stored prefix of the
 * path decides, so PathPrefixes=/home and ExcludePathPrefixes=/home/cache
 * combine as an operator would expect. Matching is on bytes. A relative
 * path is matched by the absolute path the kernel side built. An absolute
 * one that the walk of the opened file names differently (a symlink, "..",
 * a name changed in memory during the call) is kept if either form passes:
 * no name in user memory can then hide an open the filters keep, since it
 * passes by what was opened, and a symlink the operator named by its link
 * still matches.
 */
static __always_inline int prefix_allowed(struct filter_settings *cfg, struct open_event *e)
{
        int has_abs = e->event_flags & OPEN_EVENT_ABS;
        struct filter_prefix_key *key;

        /* a relative path as passed says nothing of where it is: only its absolute form counts */
        if (!has_abs || e->path[0] == '/') {
                key = path_key(e, 0);
                if (!key || allowed(cfg->active & FILTER_PREFIXES, filter_prefixes.lookup(key)))
                        return 1;
        }
        if (!has_abs)
                return 0;
        key = path_key(e, 1);
        return !key || allowed(cfg->active & FILTER_PREFIXES, filter_prefixes.lookup(key));
}

/*
 * journald or PID 1, as root, opening what the daemon's own writing made them
 * open (see opensnoop.h). The comm alone could be anyone's; with uid 0 it
 * can only be root's, who could hide from us anyway.
 */
static __always_inline int self_noise_caused(struct open_event *e)
{
        struct filter_prefix_key *key;
        __u64 head = 0, tail = 0;

        if (e->uid != 0)
                return 0;
        if (e->pid != 1) {
                /* "systemd-journal\0" as two little-endian words */
                bpf_probe_read_kernel(&head, sizeof(head), &e->comm[0]);
                bpf_probe_read_kernel(&tail, sizeof(tail), &e->comm[8]);
                if (head != 0x2d646d6574737973ULL || tail != 0x006c616e72756f6aULL)
                        return 0;
        }
        key = path_key(e, 0);
        return key && self_noise.lookup(key) != NULL;
}


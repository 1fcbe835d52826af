/* SPDX-License-Identifier: MIT */
#include "kernel_layout.h"

#include <bpf/btf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
        const char *type; /* struct name */
        const char *path; /* member, with dots into named members; anonymous unions are looked through */
        const char *macro;
} members[KOFF_COUNT] = {
        [KOFF_TASK_FS] = { "task_struct", "fs", "KOFF_TASK_FS" },
        [KOFF_TASK_FILES] = { "task_struct", "files", "KOFF_TASK_FILES" },
        [KOFF_FS_ROOT] = { "fs_struct", "root", "KOFF_FS_ROOT" },
        [KOFF_FS_PWD] = { "fs_struct", "pwd", "KOFF_FS_PWD" },
        [KOFF_PATH_MNT] = { "path", "mnt", "KOFF_PATH_MNT" },
        [KOFF_PATH_DENTRY] = { "path", "dentry", "KOFF_PATH_DENTRY" },
        [KOFF_FILES_FDT] = { "files_struct", "fdt", "KOFF_FILES_FDT" },
        [KOFF_FDT_FD] = { "fdtable", "fd", "KOFF_FDT_FD" },
        [KOFF_FDT_MAX_FDS] = { "fdtable", "max_fds", "KOFF_FDT_MAX_FDS" },
        [KOFF_FILE_PATH] = { "file", "f_path", "KOFF_FILE_PATH" },
        [KOFF_DENTRY_PARENT] = { "dentry", "d_parent", "KOFF_DENTRY_PARENT" },
        [KOFF_DENTRY_NAME] = { "dentry", "d_name", "KOFF_DENTRY_NAME" },
        [KOFF_DENTRY_HASH] = { "dentry", "d_hash.pprev", "KOFF_DENTRY_HASH_PPREV" },
        [KOFF_QSTR_LEN] = { "qstr", "len", "KOFF_QSTR_LEN" },
        [KOFF_QSTR_NAME] = { "qstr", "name", "KOFF_QSTR_NAME" },
        [KOFF_MOUNT_MNT] = { "mount", "mnt", "KOFF_MOUNT_MNT" },
        [KOFF_MOUNT_PARENT] = { "mount", "mnt_parent", "KOFF_MOUNT_PARENT" },
        [KOFF_MOUNT_MOUNTPOINT] = { "mount", "mnt_mountpoint", "KOFF_MOUNT_MOUNTPOINT" },
        [KOFF_VFSMOUNT_ROOT] = { "vfsmount", "mnt_root", "KOFF_VFSMOUNT_ROOT" },
        [KOFF_TASK_MM] = { "task_struct", "mm", "KOFF_TASK_MM" },
        [KOFF_MM_EXE_FILE] = { "mm_struct", "exe_file", "KOFF_MM_EXE_FILE" },
        [KOFF_TASK_GROUP_LEADER] = { "task_struct", "group_leader", "KOFF_TASK_GROUP_LEADER" },
        [KOFF_TASK_COMM] = { "task_struct", "comm", "KOFF_TASK_COMM" },
        [KOFF_TASK_FLAGS] = { "task_struct", "flags", "KOFF_TASK_FLAGS" },
        [KOFF_DENTRY_INODE] = { "dentry", "d_inode", "KOFF_DENTRY_INODE" },
        [KOFF_INODE_INO] = { "inode", "i_ino", "KOFF_INODE_INO" },
        [KOFF_IO_KIOCB_OPCODE] = { "io_kiocb", "opcode", "KOFF_IO_KIOCB_OPCODE" },
        [KOFF_IO_OPEN_DFD] = { "io_open", "dfd", "KOFF_IO_OPEN_DFD" },
        [KOFF_IO_OPEN_FILE_SLOT] = { "io_open", "file_slot", "KOFF_IO_OPEN_FILE_SLOT" },
        [KOFF_IO_OPEN_FILENAME] = { "io_open", "filename", "KOFF_IO_OPEN_FILENAME" },
        [KOFF_IO_OPEN_HOW] = { "io_open", "how", "KOFF_IO_OPEN_HOW" },
        [KOFF_FILENAME_NAME] = { "filename", "name", "KOFF_FILENAME_NAME" },
        [KOFF_BPRM_FILE] = { "linux_binprm", "file", "KOFF_BPRM_FILE" },
        [KOFF_BPRM_FILENAME] = { "linux_binprm", "filename", "KOFF_BPRM_FILENAME" },
        [KOFF_BPRM_INTERP] = { "linux_binprm", "interp", "KOFF_BPRM_INTERP" },
        [KOFF_MM_SAVED_AUXV] = { "mm_struct", "saved_auxv", "KOFF_MM_SAVED_AUXV" },
        [KOFF_MM_MT] = { "mm_struct", "mm_mt", "KOFF_MM_MT" },
        [KOFF_MAPLE_TREE_ROOT] = { "maple_tree", "ma_root", "KOFF_MAPLE_TREE_ROOT" },
        [KOFF_MR64_PIVOT] = { "maple_range_64", "pivot", "KOFF_MR64_PIVOT" },
        [KOFF_MR64_SLOT] = { "maple_range_64", "slot", "KOFF_MR64_SLOT" },
        [KOFF_MA64_PIVOT] = { "maple_arange_64", "pivot", "KOFF_MA64_PIVOT" },
        [KOFF_MA64_SLOT] = { "maple_arange_64", "slot", "KOFF_MA64_SLOT" },
        [KOFF_VMA_START] = { "vm_area_struct", "vm_start", "KOFF_VMA_START" },
        [KOFF_VMA_END] = { "vm_area_struct", "vm_end", "KOFF_VMA_END" },
        [KOFF_VMA_FILE] = { "vm_area_struct", "vm_file", "KOFF_VMA_FILE" },
};

/* The struct or union behind a type id, through typedefs and qualifiers; NULL if it is neither. */
static const struct btf_type *composite(const struct btf *btf, __u32 id, __u32 *resolved)
{
        int r = btf__resolve_type(btf, id);
        const struct btf_type *t;

        if (r < 0)
                return NULL;
        t = btf__type_by_id(btf, (__u32)r);
        if (!t || !btf_is_composite(t))
                return NULL;
        if (resolved)
                *resolved = (__u32)r;
        return t;
}

/* Byte offset of the member called name in t, looking into anonymous members; -ENOENT if none. */
static long find_member(const struct btf *btf, const struct btf_type *t, const char *name, size_t name_len,
                        __u32 *member_type)
{
        const struct btf_member *m = btf_members(t);

        for (int i = 0; i < btf_vlen(t); i++, m++) {
                const char *mname = btf__name_by_offset(btf, m->name_off);
                __u32 bits = btf_member_bit_offset(t, (__u32)i);

                if (mname && *mname) {
                        if (strlen(mname) == name_len && memcmp(mname, name, name_len) == 0) {
                                *member_type = m->type;
                                return bits % 8 ? -EINVAL : (long)(bits / 8);
                        }
                } else {
                        const struct btf_type *inner = composite(btf, m->type, NULL);
                        long off = inner ? find_member(btf, inner, name, name_len, member_type) : -ENOENT;

                        if (off >= 0)
                                return (long)(bits / 8) + off;
                }
        }
        return -ENOENT;
}

static long member_offset(const struct btf *btf, const char *type, const char *path)
{
        int id = btf__find_by_name_kind(btf, type, BTF_KIND_STRUCT);
        const struct btf_type *t = id < 0 ? NULL : btf__type_by_id(btf, (__u32)id);
        long total = 0;

        while (t) {
                size_t len = strcspn(path, ".");
                __u32 member_type;
                long off = find_member(btf, t, path, len, &member_type);

                if (off < 0)
                        return off;
                total += off;
                if (!path[len])
                        return total;
                path += len + 1;
                t = composite(btf, member_type, NULL);
        }
        return -ENOENT;
}

int kernel_layout_load(struct kernel_layout *l, const struct kallsyms *ksyms, char *why, size_t why_size)
{
        struct btf *btf = btf__load_vmlinux_btf();
        int r = 0;

        if (!btf) {
                r = -errno;
                snprintf(why, why_size, "the kernel's BTF (/sys/kernel/btf/vmlinux) cannot be read: %s", strerror(-r));
                return r;
        }
        for (int i = 0; i < KOFF_REQUIRED; i++) {
                long off = member_offset(btf, members[i].type, members[i].path);

                if (off < 0) {
                        snprintf(why, why_size, "the kernel's BTF has no struct %s member %s", members[i].type,
                                 members[i].path);
                        r = -ENOENT;
                        break;
                }
                l->offset[i] = off;
        }
        /* io_uring's and exec's interpreters' are optional: without them those opens are not
         * recorded, as the startup line says */
        l->io_uring = true;
        l->exec_interpreters = true;
        for (int i = KOFF_REQUIRED; i < KOFF_COUNT; i++) {
                l->offset[i] = member_offset(btf, members[i].type, members[i].path);
                if (l->offset[i] < 0 && i < KOFF_EXEC_FIRST)
                        l->io_uring = false;
                else if (l->offset[i] < 0)
                        l->exec_interpreters = false;
        }
        btf__free(btf);
        if (r == 0) {
                l->rename_lock = ksyms->rename_lock;
                l->mount_lock = ksyms->mount_lock;
        }
        return r;
}

int kernel_layout_cflags(const struct kernel_layout *l, bool walk, char **out, int max)
{
        int n = 0;

        if (max < KOFF_COUNT + 4)
                return -ENOBUFS;
        if (walk)
                out[n++] = strdup("-DOPENSNOOPD_ABS_PATHS");
        for (int i = 0; i < KOFF_COUNT; i++) {
                if ((i >= KOFF_REQUIRED && i < KOFF_EXEC_FIRST && !l->io_uring) ||
                    (i >= KOFF_EXEC_FIRST && !l->exec_interpreters))
                        continue;
                if (asprintf(&out[n++], "-D%s=%ld", members[i].macro, l->offset[i]) < 0)
                        out[n - 1] = NULL;
        }
        if (l->exec_interpreters && !(out[n++] = strdup("-DOPENSNOOPD_EXEC_INTERPRETERS")))
                return -ENOMEM;
        if (walk && l->rename_lock && asprintf(&out[n++], "-DOPENSNOOPD_RENAME_LOCK=0x%lxUL", l->rename_lock) < 0)
                out[n - 1] = NULL;
        if (walk && l->mount_lock && asprintf(&out[n++], "-DOPENSNOOPD_MOUNT_LOCK=0x%lxUL", l->mount_lock) < 0)
                out[n - 1] = NULL;
        for (int i = 0; i < n; i++)
                if (!out[i])
                        return -ENOMEM;
        return n;
}

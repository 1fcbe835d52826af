/* SPDX-License-Identifier: MIT */
#ifndef OPENSNOOPD_KERNEL_LAYOUT_H
#define OPENSNOOPD_KERNEL_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>

#include "kallsyms.h"

/*
 * Where the fields the kernel side walks to build an absolute path (a task's
 * working directory and root, its fd table, dentries, mounts) sit in this
 * kernel's structures, read from its own BTF (/sys/kernel/btf/vmlinux).
 * They reach the BPF program as -D constants, so the walk is right on the
 * running kernel whichever headers libbcc compiled against (here, headers
 * of another kernel version are the norm, not the exception).
 */
enum kernel_offset {
        KOFF_TASK_FS,           /* task_struct.fs */
        KOFF_TASK_FILES,        /* task_struct.files */
        KOFF_FS_ROOT,           /* fs_struct.root */
        KOFF_FS_PWD,            /* fs_struct.pwd */
        KOFF_PATH_MNT,          /* path.mnt */
        KOFF_PATH_DENTRY,       /* path.dentry */
        KOFF_FILES_FDT,         /* files_struct.fdt */
        KOFF_FDT_FD,            /* fdtable.fd */
        KOFF_FDT_MAX_FDS,       /* fdtable.max_fds */
        KOFF_FILE_PATH,         /* file.f_path */
        KOFF_DENTRY_PARENT,     /* dentry.d_parent */
        KOFF_DENTRY_NAME,       /* dentry.d_name */
        KOFF_DENTRY_HASH,       /* dentry.d_hash: its pprev is NULL once the dentry is unlinked */
        KOFF_QSTR_LEN,          /* qstr.len */
        KOFF_QSTR_NAME,         /* qstr.name */
        KOFF_MOUNT_MNT,         /* mount.mnt: the vfsmount inside it */
        KOFF_MOUNT_PARENT,      /* mount.mnt_parent */
        KOFF_MOUNT_MOUNTPOINT,  /* mount.mnt_mountpoint */
        KOFF_VFSMOUNT_ROOT,     /* vfsmount.mnt_root */
        KOFF_TASK_MM,           /* task_struct.mm */
        KOFF_MM_EXE_FILE,       /* mm_struct.exe_file: the walk of exec's open starts there */
        KOFF_TASK_GROUP_LEADER, /* task_struct.group_leader */
        KOFF_TASK_COMM,         /* task_struct.comm */
        KOFF_TASK_FLAGS,        /* task_struct.flags (PF_IO_WORKER) */
        KOFF_DENTRY_INODE,      /* dentry.d_inode: a repeat's file (repeat.bpf.h) */
        KOFF_INODE_INO,         /* inode.i_ino */
        KOFF_REQUIRED,          /* the walk needs all of the above */
        /* io_uring's, where the kernel has it (io_uring_enabled) */
        KOFF_IO_KIOCB_OPCODE = KOFF_REQUIRED, /* io_kiocb.opcode */
        KOFF_IO_OPEN_DFD,                     /* io_open.dfd: struct io_open is the request's first bytes */
        KOFF_IO_OPEN_FILE_SLOT,               /* io_open.file_slot */
        KOFF_IO_OPEN_FILENAME,                /* io_open.filename */
        KOFF_IO_OPEN_HOW,                     /* io_open.how */
        KOFF_FILENAME_NAME,                   /* filename.name: the kernel's copy of a name */
        /* exec's interpreters, where the kernel has them (exec_interpreters) */
        KOFF_EXEC_FIRST,
        KOFF_BPRM_FILE = KOFF_EXEC_FIRST, /* linux_binprm.file: the file the process now runs */
        KOFF_BPRM_FILENAME,               /* linux_binprm.filename: the name exec was given */
        KOFF_BPRM_INTERP,                 /* linux_binprm.interp: another, where a #! line named one */
        KOFF_MM_SAVED_AUXV,               /* mm_struct.saved_auxv: AT_BASE, where the ELF interpreter is */
        KOFF_MM_MT,                       /* mm_struct.mm_mt: the tree of the process's mappings (6.1+) */
        KOFF_MAPLE_TREE_ROOT,             /* maple_tree.ma_root */
        KOFF_MR64_PIVOT,                  /* maple_range_64.pivot */
        KOFF_MR64_SLOT,                   /* maple_range_64.slot */
        KOFF_MA64_PIVOT,                  /* maple_arange_64.pivot */
        KOFF_MA64_SLOT,                   /* maple_arange_64.slot */
        KOFF_VMA_START,                   /* vm_area_struct.vm_start */
        KOFF_VMA_END,                     /* vm_area_struct.vm_end */
        KOFF_VMA_FILE,                    /* vm_area_struct.vm_file */
        KOFF_COUNT,
};

struct kernel_layout {
        long offset[KOFF_COUNT];   /* bytes */
        unsigned long rename_lock; /* its address, from /proc/kallsyms; 0 if not listed there */
        unsigned long mount_lock;  /* the same */
        bool io_uring;             /* the io_uring offsets were found */
        bool exec_interpreters;    /* the offsets exec's interpreters are found by were */
};

/* Fills l from the running kernel's BTF and ksyms (kallsyms_read()'s); on failure why says what was
 * missing, in one line. */
int kernel_layout_load(struct kernel_layout *l, const struct kallsyms *ksyms, char *why, size_t why_size);

/*
 * The -D flags the BPF program takes from l, into out[0..max): the KOFF_
 * values, and with walk, OPENSNOOPD_ABS_PATHS (build OPEN_ABS_PATH) and the
 * rename lock's address.
 */
int kernel_layout_cflags(const struct kernel_layout *l, bool walk, char **out, int max);

#endif

/* SPDX-License-Identifier: MIT */
#ifdef OPENSNOOPD_TP_EXEC
/*
 * The program file execve() opened, after the exec succeeded: the name is
 * the kernel's copy (bprm->filename) and the walk starts from the file the
 * process now runs (mm->exe_file). A failed exec is not seen here. The comm
 * is already the new program's.
 */
/*
 * One open of exec's, a record with no fd: kind is the interpreter's
 * (OPEN_INTERPRETER_*, 0 for the program file), path the kernel's copy of
 * its name (or NULL), file what the walk starts from; exec as emit() takes it.
 */
static __always_inline void exec_record(void *ctx, struct filter_settings *cfg, __u8 kind, const char *path, void *file,
                                        int exec)
{
        struct stash s = {};

        s.flags = O_RDONLY;
        s.dirfd = AT_FDCWD;
        s.syscall = OPEN_SYSCALL_EXEC;
        s.interpreter = kind;
        s.event_flags = OPEN_EVENT_NO_FD;
        if (filter_opener(cfg, &s, NULL) != 0)
                return;
        s.path = path;
        s.path_in_kernel = 1;
        s.file = file;
        emit(ctx, &s, 0, NULL, exec);
}

TRACEPOINT_PROBE(sched, sched_process_exec)
{
        __u32 zero = 0;
        struct filter_settings *cfg = settings.lookup(&zero);
        void *file = NULL;

        if (!cfg)
                return 0;
#ifdef OPENSNOOPD_ABS_PATHS
        file = read_ptr(read_ptr((void *)bpf_get_current_task(), KOFF_TASK_MM), KOFF_MM_EXE_FILE);
#endif
        exec_record(args, cfg, 0, (const char *)args + (args->data_loc_filename & 0xFFFF), file, 1);
        return 0;
}

#ifdef OPENSNOOPD_EXEC_INTERPRETERS
/*
 * The interpreters a successful exec opened, which the kernel opens itself
 * (open_exec()), through no open system call, on its way to the
 * sched_process_exec tracepoint: read there, from its raw form, which
 * carries the exec's struct linux_binprm. By then the kernel has closed the
 * ELF interpreter's file and kept only its mapping, and a #! line's
 * interpreter is the file the process runs:
 *   - a #! line's (or binfmt_misc's): bprm->interp, the kernel's copy of the
 *     name it read, where it is not the name exec was given; the walk starts
 *     from bprm->file. Of nested #! lines, the last one's.
 *   - the ELF interpreter (PT_INTERP): the file mapped at AT_BASE, which the
 *     kernel wrote into mm->saved_auxv (0 for a static program), found by a
 *     walk down the process's tree of mappings; its name as the program
 *     wrote it is gone, the walk names the file. The process is the exec's
 *     alone by now (its other threads are gone) and no user code has run.
 * Every offset is from the running kernel's BTF.
 */
#define EXEC_AT_BASE    7  /* AT_BASE */
#define EXEC_AUXV_PAIRS 24 /* AT_BASE comes within the first ten on every architecture */
#define MAPLE_LEAF_64   1  /* enum maple_type: a leaf, its slots are the mappings */
#define MAPLE_RANGE_64  2  /* ... an inner node, 16 slots */
#define MAPLE_ARANGE_64 3  /* ... an inner node of an allocation tree (mm's), 10 slots */
#define MAPLE_MAX_DEPTH 8

struct exec_scratch {
        __u64 word[64]; /* saved_auxv's first pairs, or one maple node (256 bytes) */
};
BPF_PERCPU_ARRAY(exec_scratch, struct exec_scratch, 1);

static __always_inline __u64 exec_at_base(void *mm, struct exec_scratch *x)
{
        if (bpf_probe_read_kernel(x->word, EXEC_AUXV_PAIRS * 16, (char *)mm + KOFF_MM_SAVED_AUXV) != 0)
                return 0;
#pragma unroll
        for (int i = 0; i < EXEC_AUXV_PAIRS; i++) {
                if (x->word[2 * i] == 0) /* AT_NULL */
                        return 0;
                if (x->word[2 * i] == EXEC_AT_BASE)
                        return x->word[2 * i + 1];
        }
        return 0;
}

/*
 * The file mapped at addr in mm, down its maple tree as mtree_lookup() goes:
 * in each node, the first slot whose pivot (the last address it covers) is
 * at or past addr, the last used one (its pivot 0: the node's end) else.
 * The mapping found must hold addr, or there is none: NULL.
 */
static __always_inline void *exec_file_at(void *mm, __u64 addr, struct exec_scratch *x)
{
        unsigned long entry = (unsigned long)read_ptr(mm, KOFF_MM_MT + KOFF_MAPLE_TREE_ROOT);
        __u64 start = 0, end = 0;
        void *vma = NULL;

        if ((entry & 3) != 2 || entry <= 4096) /* not a node: an empty tree, or a single mapping at 0 */
                return NULL;
#pragma clang loop unroll(disable)
        for (int depth = 0; depth < MAPLE_MAX_DEPTH; depth++) {
                __u32 type = (entry >> 3) & 15, pivots, slots, pivot_at, slot_at, i;

                if (type == MAPLE_ARANGE_64) {
                        pivots = 9;
                        pivot_at = KOFF_MA64_PIVOT / 8;
                        slot_at = KOFF_MA64_SLOT / 8;
                } else if (type == MAPLE_RANGE_64 || type == MAPLE_LEAF_64) {
                        pivots = 15;
                        pivot_at = KOFF_MR64_PIVOT / 8;
                        slot_at = KOFF_MR64_SLOT / 8;
                } else {
                        return NULL;
                }
                if (bpf_probe_read_kernel(x->word, 256, (void *)(entry & ~255UL)) != 0)
                        return NULL;
                slots = pivots;
#pragma unroll
                for (i = 0; i < 15; i++) {
                        __u64 pivot = x->word[(pivot_at + i) & 31];

                        if (i < pivots && (pivot >= addr || pivot == 0)) {
                                slots = i;
                                break;
                        }
                }
                entry = x->word[(slot_at + slots) & 31];
                if (type == MAPLE_LEAF_64) {
                        vma = (void *)entry;
                        break;
                }
        }
        if (!vma)
                return NULL;
        bpf_probe_read_kernel(&start, sizeof(start), (char *)vma + KOFF_VMA_START);
        bpf_probe_read_kernel(&end, sizeof(end), (char *)vma + KOFF_VMA_END);
        if (addr < start || addr >= end)
                return NULL;
        return read_ptr(vma, KOFF_VMA_FILE);
}

RAW_TRACEPOINT_PROBE(sched_process_exec)
{
        void *bprm =
                (void *)ctx->args[2]; /* TP_PROTO(struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm) */
        void *mm = read_ptr((void *)bpf_get_current_task(), KOFF_TASK_MM);
        const char *interp = read_ptr(bprm, KOFF_BPRM_INTERP);
        __u32 zero = 0;
        struct filter_settings *cfg = settings.lookup(&zero);
        struct exec_scratch *x = exec_scratch.lookup(&zero);
        __u64 base;

        if (!cfg || !x || !mm)
                return 0;
        if (interp && interp != read_ptr(bprm, KOFF_BPRM_FILENAME))
                exec_record(ctx, cfg, OPEN_INTERPRETER_SCRIPT, interp, read_ptr(bprm, KOFF_BPRM_FILE), 0);
        base = exec_at_base(mm, x);
        if (base)
                exec_record(ctx, cfg, OPEN_INTERPRETER_ELF, NULL, exec_file_at(mm, base, x), 0);
        return 0;
}
#endif
#endif

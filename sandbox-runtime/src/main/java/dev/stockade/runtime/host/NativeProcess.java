package dev.stockade.runtime.host;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Replaces this JVM with the delegate runtime (execve through the Foreign Function &amp; Memory
 * API), so runc runs with this process's pid, its file descriptors, environment and signal state,
 * exactly as if the shim had started runc itself. A child process would lose all three.
 */
public final class NativeProcess {

    private static final int F_GETFD = 1;
    private static final int F_SETFD = 2;
    private static final int FD_CLOEXEC = 1;
    private static final int SIG_SETMASK = 2;
    private static final int SIGSET_BYTES = 128;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final MethodHandle EXECVE = handle("execve",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS),
            Linker.Option.captureCallState("errno"));
    private static final MethodHandle FCNTL = handle("fcntl",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT),
            Linker.Option.firstVariadicArg(2));
    private static final MethodHandle SIGPROCMASK = handle("pthread_sigmask",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    private static final VarHandle ERRNO = Linker.Option.captureStateLayout()
            .varHandle(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));

    /**
     * Executes {@code program} with {@code argv} (argv[0] included) and {@code environment} in place
     * of this process. File descriptors 0 to 2 and 3 to 3+{@code passedFds}-1 stay open, as runc
     * expects; every other descriptor this JVM holds is closed on exec. Returns only on failure.
     */
    public static IOException exec(Path program, List<String> argv, Map<String, String> environment, int passedFds) {
        closeOnExecFrom(3 + passedFds);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment emptyMask = arena.allocate(SIGSET_BYTES);
            // The JVM blocks signals in its threads; runc and the container must start with none blocked.
            int unused = (int) SIGPROCMASK.invokeExact(SIG_SETMASK, emptyMask, MemorySegment.NULL);
            MemorySegment errnoState = arena.allocate(Linker.Option.captureStateLayout());
            int result = (int) EXECVE.invokeExact(errnoState, arena.allocateFrom(program.toString()),
                    cStrings(arena, argv),
                    cStrings(arena, environment.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList()));
            int errno = (int) ERRNO.get(errnoState, 0L);
            return new IOException("execve " + program + " returned " + result + ", errno " + errno);
        } catch (Throwable e) {
            return new IOException("execve " + program + " failed: " + e, e);
        }
    }

    /** Marks every open descriptor from {@code first} on close-on-exec (runc closes the same ones). */
    static void closeOnExecFrom(int first) {
        try (Stream<Path> descriptors = Files.list(Path.of("/proc/self/fd"))) {
            for (int fd : descriptors.map(p -> Integer.parseInt(p.getFileName().toString())).filter(fd -> fd >= first).toList()) {
                int flags = (int) FCNTL.invokeExact(fd, F_GETFD, 0);
                if (flags >= 0) {
                    int unused = (int) FCNTL.invokeExact(fd, F_SETFD, flags | FD_CLOEXEC);
                }
            }
        } catch (Throwable e) {
            throw new IllegalStateException("cannot mark this JVM's file descriptors close-on-exec", e);
        }
    }

    private static MemorySegment cStrings(Arena arena, List<String> strings) {
        MemorySegment array = arena.allocate(ValueLayout.ADDRESS, strings.size() + 1L);
        for (int i = 0; i < strings.size(); i++) {
            array.setAtIndex(ValueLayout.ADDRESS, i, arena.allocateFrom(strings.get(i)));
        }
        array.setAtIndex(ValueLayout.ADDRESS, strings.size(), MemorySegment.NULL);
        return array;
    }

    private static MethodHandle handle(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        return LINKER.downcallHandle(LIBC.find(name).orElseThrow(() -> new IllegalStateException("libc has no " + name)),
                descriptor, options);
    }

    private NativeProcess() {
    }
}

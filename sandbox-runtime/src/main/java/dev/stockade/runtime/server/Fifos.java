package dev.stockade.runtime.server;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * FIFOs and pipes through the Foreign Function &amp; Memory API: java.nio can neither create a FIFO
 * nor open one without blocking until its reader comes (open(2) with O_NONBLOCK fails at once instead).
 */
final class Fifos {

    /** From the kernel's uapi fcntl.h (x86_64 and arm64 alike) and errno-base.h. */
    private static final int O_WRONLY = 01;
    private static final int O_NONBLOCK = 04000;
    private static final int O_CLOEXEC = 02000000;
    private static final int EAGAIN = 11;
    private static final int EINTR = 4;
    /** stat.h: the file type bits of st_mode, and a FIFO's (an anonymous pipe's too). */
    private static final int S_IFMT = 0170000;
    private static final int S_IFIFO = 0010000;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");
    private static final long ERRNO_OFFSET = Linker.Option.captureStateLayout().byteOffset(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle MKFIFO = function("mkfifo",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle OPEN = function("open",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle WRITE = function("write",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    private static final MethodHandle CLOSE = LINKER.downcallHandle(LINKER.defaultLookup().find("close").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

    private Fifos() {
    }

    private static MethodHandle function(String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), descriptor, ERRNO);
    }

    static void create(Path path, int mode) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Linker.Option.captureStateLayout());
            int result = (int) MKFIFO.invokeExact(state, arena.allocateFrom(path.toString()), mode);
            if (result != 0) {
                throw new IOException("mkfifo " + path + " failed with errno " + errno(state));
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IOException("mkfifo " + path + ": " + e, e);
        }
    }

    /**
     * Writes all of {@code data} to the pipe or FIFO at {@code path}, which must have a reader already
     * (else ENXIO at once, never a wait for one), giving up at {@code deadlineNanos}
     * ({@link System#nanoTime}) if the reader stops reading. Refuses anything that is not a pipe or
     * FIFO, so that a request naming some other process's fd never writes into a file.
     */
    static void writeToReader(Path path, byte[] data, long deadlineNanos) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Linker.Option.captureStateLayout());
            int fd = (int) OPEN.invokeExact(state, arena.allocateFrom(path.toString()), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
            if (fd < 0) {
                throw new IOException("open " + path + " failed with errno " + errno(state));
            }
            try {
                Object mode = Files.getAttribute(Path.of("/proc/self/fd/" + fd), "unix:mode");
                if (((Integer) mode & S_IFMT) != S_IFIFO) {
                    throw new IOException(path + " is not a pipe or FIFO");
                }
                MemorySegment buffer = arena.allocate(Math.max(1, data.length));
                MemorySegment.copy(MemorySegment.ofArray(data), 0, buffer, 0, data.length);
                long written = 0;
                while (written < data.length) {
                    long result = (long) WRITE.invokeExact(state, fd, buffer.asSlice(written), (long) data.length - written);
                    if (result >= 0) {
                        written += result;
                    } else if (errno(state) != EAGAIN && errno(state) != EINTR) {
                        throw new IOException("write to " + path + " failed with errno " + errno(state));
                    } else if (System.nanoTime() > deadlineNanos) {
                        throw new IOException("its reader took none of the last " + (data.length - written) + " bytes in time");
                    } else {
                        Thread.sleep(1);
                    }
                }
            } finally {
                int ignored = (int) CLOSE.invokeExact(fd);
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted writing to " + path, e);
        } catch (Throwable e) {
            throw new IOException("write to " + path + ": " + e, e);
        }
    }

    private static int errno(MemorySegment state) {
        return state.get(ValueLayout.JAVA_INT, ERRNO_OFFSET);
    }
}

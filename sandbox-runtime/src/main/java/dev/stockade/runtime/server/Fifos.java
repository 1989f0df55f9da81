package dev.stockade.runtime.server;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/** mkfifo(3) through the Foreign Function &amp; Memory API: java.nio cannot create a FIFO. */
final class Fifos {

    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle MKFIFO = LINKER.downcallHandle(
            LINKER.defaultLookup().find("mkfifo").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT),
            Linker.Option.captureCallState("errno"));
    private static final long ERRNO_OFFSET = Linker.Option.captureStateLayout()
            .byteOffset(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));

    private Fifos() {
    }

    static void create(Path path, int mode) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Linker.Option.captureStateLayout());
            int result = (int) MKFIFO.invokeExact(state, arena.allocateFrom(path.toString()), mode);
            if (result != 0) {
                throw new IOException("mkfifo " + path + " failed with errno " + state.get(ValueLayout.JAVA_INT, ERRNO_OFFSET));
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IOException("mkfifo " + path + ": " + e, e);
        }
    }
}

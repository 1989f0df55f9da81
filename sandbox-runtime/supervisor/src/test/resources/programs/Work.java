import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** An ordinary JVM program for SideBySideWithGvisorIT: a thread pool, garbage for the collector, a temporary file. */
public class Work {
    public static void main(String[] args) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<Long>> parts = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            int offset = t;
            parts.add(pool.submit(() -> {
                long sum = 0;
                List<String> garbage = new ArrayList<>();
                for (int i = 0; i < 200_000; i++) {
                    String text = Integer.toString(i + offset);
                    garbage.add(text);
                    if (garbage.size() > 10_000) {
                        garbage.clear();
                    }
                    sum += text.hashCode() & 0xff;
                }
                return sum;
            }));
        }
        long total = 0;
        for (Future<Long> part : parts) {
            total += part.get();
        }
        pool.shutdown();
        Path file = Files.writeString(Files.createTempFile("work", ".txt"), "total=" + total);
        System.out.println(Files.readString(file) + " parts=" + parts.size());
    }
}

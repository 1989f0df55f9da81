package dev.stockade.cluster;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/** Stops the test cluster when the test run that started it ends (registered in META-INF/services). */
public final class ClusterSession implements LauncherSessionListener {

    @Override
    public void launcherSessionClosed(LauncherSession session) {
        if (!"true".equals(System.getenv("STOCKADE_KEEP_CLUSTER"))) {
            RealCluster.stopIfStarted();
        }
    }
}

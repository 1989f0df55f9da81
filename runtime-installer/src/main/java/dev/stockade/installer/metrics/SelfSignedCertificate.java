package dev.stockade.installer.metrics;

import dev.stockade.installer.host.HostFiles;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * The TLS identity of the node's metrics endpoint: an EC P-256 key and a self-signed certificate
 * made at start by the JDK's own {@code keytool} (the JDK has no public API that signs a
 * certificate). Scrapers authenticate with a token and do not verify the certificate, as with the
 * certificate kube-rbac-proxy generates and the kubelet's self-signed serving certificate; TLS is
 * there so that the scraper's token never crosses the network in clear.
 */
public final class SelfSignedCertificate {

    private static final String ALIAS = "metrics";

    /**
     * @param dnsName the name the certificate carries (CN and subjectAltName), e.g. the pod's name
     * @throws IOException when keytool is missing or fails, or the keystore cannot be read
     */
    public static SSLContext create(String dnsName) throws IOException {
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        Path directory = Files.createTempDirectory("stockade-metrics-tls", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        try {
            Path keystore = directory.resolve("metrics.p12");
            byte[] secret = new byte[24];
            new SecureRandom().nextBytes(secret);
            String password = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
            ProcessBuilder command = new ProcessBuilder(List.of(keytool.toString(), "-genkeypair", "-noprompt",
                    "-alias", ALIAS, "-keyalg", "EC", "-groupname", "secp256r1", "-sigalg", "SHA256withECDSA",
                    "-dname", "CN=" + dnsName, "-ext", "SAN=dns:" + dnsName, "-validity", "3650",
                    "-storetype", "PKCS12", "-keystore", keystore.toString(),
                    // From the environment, not the command line, which every process on the node can read.
                    "-storepass:env", "STOCKADE_KEYSTORE_PASSWORD"))
                    .redirectErrorStream(true);
            command.environment().put("STOCKADE_KEYSTORE_PASSWORD", password);
            Process process = command.start();
            process.getOutputStream().close();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new IOException(keytool + " could not make the metrics certificate: " + output);
            }
            KeyStore store = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(keystore)) {
                store.load(in, password.toCharArray());
            }
            KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(store, password.toCharArray());
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(keys.getKeyManagers(), null, null);
            return tls;
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot load the metrics certificate: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while making the metrics certificate", e);
        } finally {
            HostFiles.deleteTree(directory);
        }
    }

    private SelfSignedCertificate() {
    }
}

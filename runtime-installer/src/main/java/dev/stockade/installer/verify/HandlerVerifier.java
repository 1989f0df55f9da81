package dev.stockade.installer.verify;

import dev.stockade.installer.InstallerException;
import dev.stockade.installer.runtime.Handler;

import java.util.List;

/** Proves that the container runtime can use the handlers before the node is declared ready. */
public interface HandlerVerifier {

    void verify(List<Handler> handlers) throws InstallerException;

    String describe();
}

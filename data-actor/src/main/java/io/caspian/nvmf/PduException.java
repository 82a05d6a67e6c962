package io.caspian.nvmf;

/**
 * A fatal transport error: the peer broke the PDU rules and the connection must end, after a
 * TermReq naming the reason ({@code fes}) and the offending header byte ({@code fei}).
 */
public final class PduException extends Exception {

  private final int fes;
  private final int fei;

  public PduException(int fes, int fei, String message) {
    super(message);
    this.fes = fes;
    this.fei = fei;
  }

  public int fes() {
    return fes;
  }

  public int fei() {
    return fei;
  }
}

// The test host of `tameflare doctor`: a reserved name under `.invalid` (RFC 6761: it never resolves,
// so only a client that went through the gateway can reach it) which the gateway answers itself,
// without a connector or an upstream. `/ok` answers 200 with the probe's nonce; `/deny` is refused
// like a denied action, so a probe can check that its client shows the reason. A git client gets a
// ref advertisement naming the nonce. Pure: shared by the gateway and the CLI.

export const DOCTOR_HOST = 'doctor.tameflare.invalid';
/** The action a `/deny` request is refused as (the reason phrase names it). */
export const DOCTOR_DENIED_ACTION = 'doctor.deny';
export const DOCTOR_DENIED_DETAIL =
  'tameflare doctor: this request is refused on purpose, to check that the client shows why';

/** What `/ok` answers (JSON), and the ref a git client sees: `refs/heads/doctor-<nonce>`. */
export interface DoctorAnswer {
  tameflare_doctor: string;
  agent: string;
  intercepted: boolean;
}

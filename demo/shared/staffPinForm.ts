// The staff PIN form of the kiosk and the check-in page: on a device without a PIN it sets the first one, typed twice
// (it is masked, and a typo could only be undone by clearing the site's data); afterwards it checks the PIN.
import { MIN_PIN_LENGTH, StaffPin } from './staffPin';

export interface StaffPinFormElements {
  form: HTMLFormElement;
  input: HTMLInputElement;
  button: HTMLButtonElement;
  message: HTMLElement;
}

export interface StaffPinFormOptions {
  /** Shown while the device has no PIN yet: what the PIN is for, e.g. "choose one to manage enrolled people". */
  noPinYet: string;
  /** Staff mode starts (the PIN was set or entered right): show the staff controls. */
  onUnlock: () => void | Promise<void>;
  /** Staff mode ends (by hand, after STAFF_IDLE_MS without a staff action, or a PIN gone): hide them. */
  onLock: () => void;
}

/** Staff mode ends by itself after this long without a staff action. */
export const STAFF_IDLE_MS = 2 * 60_000;

/** Staff mode as the form keeps it. */
export interface StaffMode {
  readonly unlocked: boolean;
  /** Ends staff mode, and the form asks for the PIN again. */
  lock(): void;
  /** A staff action: staff mode lasts STAFF_IDLE_MS from now. */
  touch(): void;
}

/** Wires the form and the staff mode it opens. */
export function wireStaffPinForm(
  { form, input, button, message }: StaffPinFormElements,
  { noPinYet, onUnlock, onLock }: StaffPinFormOptions,
): StaffMode {
  const pin = new StaffPin();
  let firstEntry: string | undefined;
  let unlocked = false;
  let idleTimer: ReturnType<typeof setTimeout> | undefined;
  const prompt = () => {
    if (pin.isSet) firstEntry = undefined; // set meanwhile in another tab
    const confirming = !pin.isSet && firstEntry !== undefined;
    button.textContent = pin.isSet ? 'Unlock' : confirming ? 'Confirm PIN' : 'Set PIN';
    input.placeholder = pin.isSet
      ? 'Staff PIN'
      : confirming
        ? 'The same PIN again'
        : `New staff PIN (${MIN_PIN_LENGTH}+ digits)`;
    if (!pin.isSet && !confirming) message.textContent = noPinYet;
  };
  prompt();
  const mode: StaffMode = {
    get unlocked() {
      return unlocked;
    },
    lock() {
      unlocked = false;
      clearTimeout(idleTimer);
      form.hidden = false;
      onLock();
      prompt();
    },
    touch() {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(mode.lock, STAFF_IDLE_MS);
    },
  };
  form.onsubmit = async (event) => {
    event.preventDefault();
    const typed = input.value;
    input.value = '';
    try {
      if (!pin.isSet && firstEntry === undefined) {
        StaffPin.validateNew(typed);
        firstEntry = typed;
        prompt();
        message.textContent = 'Type the same PIN again to confirm it.';
        return;
      }
      if (!pin.isSet) {
        const same = typed === firstEntry;
        firstEntry = undefined;
        if (!same) {
          prompt();
          message.textContent = 'The two PINs differ: choose a PIN again.';
          return;
        }
        await pin.set(typed);
        prompt();
      } else if (!(await pin.check(typed))) {
        message.textContent = 'Wrong PIN.';
        return;
      }
    } catch (error) {
      message.textContent = (error as Error).message;
      return;
    }
    message.textContent = '';
    unlocked = true;
    form.hidden = true;
    mode.touch();
    await onUnlock();
  };
  return mode;
}

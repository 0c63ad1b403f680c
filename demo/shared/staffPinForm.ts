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
  /** Called once the PIN was set or entered right. */
  onUnlock: () => void | Promise<void>;
}

/** Wires the form; returns `prompt`, which shows what the form asks for now (call it after locking again). */
export function wireStaffPinForm(
  { form, input, button, message }: StaffPinFormElements,
  { noPinYet, onUnlock }: StaffPinFormOptions,
): { prompt: () => void } {
  const pin = new StaffPin();
  let firstEntry: string | undefined;
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
    await onUnlock();
  };
  return { prompt };
}

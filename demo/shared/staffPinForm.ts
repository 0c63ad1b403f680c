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
  /**
   * Where the focus goes once staff mode starts (the form it was in is hidden then): the staff controls' heading,
   * say, with tabindex="-1".
   */
  focusOnUnlock?: HTMLElement;
  /**
   * The staff controls shown while unlocked: Escape in them locks (as it closes a dialog), and focus in them when
   * they are hidden goes back to the PIN field.
   */
  staffArea?: HTMLElement[];
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
  { noPinYet, onUnlock, onLock, focusOnUnlock, staffArea = [] }: StaffPinFormOptions,
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
      lock('Staff mode locked.');
    },
    touch() {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(
        () => lock('Staff mode locked after two idle minutes: enter the PIN to continue.'),
        STAFF_IDLE_MS,
      );
    },
  };
  /** Ends staff mode and says so (the message is a status region: read out, also when the idle timer locks). */
  const lock = (said: string) => {
    const wasUnlocked = unlocked;
    const focused = document.activeElement;
    const focusInStaffArea = staffArea.some((area) => area.contains(focused));
    unlocked = false;
    clearTimeout(idleTimer);
    form.hidden = false;
    onLock();
    if (wasUnlocked) message.textContent = said;
    prompt(); // without a PIN (the site's data was cleared) its own words replace those
    // The focus was on a control now hidden (Lock, a Delete button): it goes to the PIN field, not to the page. (Not
    // otherwise: an idle kiosk's touch screen would show its keyboard.)
    if (focusInStaffArea) input.focus();
  };
  for (const area of staffArea)
    area.addEventListener('keydown', (event) => {
      if (event.key !== 'Escape' || !unlocked) return;
      event.preventDefault();
      mode.lock();
    });
  const refuse = (text: string) => {
    message.textContent = text;
    input.setAttribute('aria-invalid', 'true');
    input.focus(); // to type it again, wherever the form was sent from
  };
  input.addEventListener('input', () => input.removeAttribute('aria-invalid'));
  form.onsubmit = async (event) => {
    event.preventDefault();
    const typed = input.value;
    input.value = '';
    try {
      if (pin.isSet && firstEntry !== undefined) {
        // This form was choosing a PIN while another tab set one: what was typed is a new PIN, not a guess at that
        // one, so it is not counted against the lockout; the form now asks for the PIN that is set.
        firstEntry = undefined;
        prompt();
        refuse('A staff PIN was set meanwhile (in another tab): enter that PIN.');
        return;
      }
      if (!pin.isSet && firstEntry === undefined) {
        StaffPin.validateNew(typed);
        firstEntry = typed;
        prompt();
        message.textContent = 'Type the same PIN again to confirm it.';
        input.focus();
        return;
      }
      if (!pin.isSet) {
        const same = typed === firstEntry;
        firstEntry = undefined;
        if (!same) {
          prompt();
          refuse('The two PINs differ: choose a PIN again.');
          return;
        }
        await pin.set(typed);
        prompt();
      } else if (!(await pin.check(typed))) {
        prompt();
        // The guess that starts a pause says so now, not at the next try.
        const paused = pin.pauseMessage();
        refuse(paused ? `Wrong PIN. ${paused}` : 'Wrong PIN.');
        return;
      }
    } catch (error) {
      refuse((error as Error).message);
      return;
    }
    const focusInForm = form.contains(document.activeElement) || document.activeElement === document.body;
    message.textContent = '';
    input.removeAttribute('aria-invalid');
    unlocked = true;
    form.hidden = true;
    mode.touch();
    await onUnlock();
    // The form (and the focus in it) is hidden now: the focus goes to what staff came for, unless staff already went
    // somewhere while the staff area was loading (a list chosen meanwhile keeps the focus).
    const active = document.activeElement;
    const focusLost = active === null || active === document.body || form.contains(active);
    if (focusInForm && focusLost && unlocked) (focusOnUnlock ?? staffArea[0])?.focus();
  };
  return mode;
}

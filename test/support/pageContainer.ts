/**
 * A page's ServiceWorkerContainer, controlled, for serveRestRequests: `deliver` hands it a message as the worker
 * would post it (the listener serveRestRequests added last).
 */
export function fakePageContainer() {
  let onMessage: ((event: unknown) => Promise<void>) | undefined;
  const container = {
    controller: { postMessage: () => undefined },
    addEventListener: (type: string, listener: (event: unknown) => Promise<void>) => {
      if (type === 'message') onMessage = listener;
    },
    removeEventListener: () => undefined,
    startMessages: () => undefined,
  } as unknown as ServiceWorkerContainer;
  return { container, deliver: (event: unknown) => onMessage!(event) };
}

/** The built app's directory, or undefined when the canvas has not been built. */
export declare function canvasRoot(): string | undefined;

// Login with e-mail address and password; the server sets the session cookie.

import { describeError, login } from "../api";
import { homeOf, navigate, setAccount, type PageContext } from "../router";
import { alertBox, button, h, paragraph, textField } from "../dom";

export function loginPage({ main, params, setTitle }: PageContext): void {
  setTitle("Inloggen");
  const message = h(
    "div",
    { "aria-live": "polite" },
    params.get("verlopen") && alertBox("warning", "Uw sessie is verlopen. Log opnieuw in."),
  );
  const form = h(
    "form",
    { class: "utrecht-form vk-login", novalidate: true },
    paragraph("Log in met het e-mailadres en wachtwoord van uw Verkenner-account."),
    textField("email", {
      label: "E-mailadres",
      attributes: { type: "email", autocomplete: "username", required: true },
    }),
    textField("password", {
      label: "Wachtwoord",
      attributes: { type: "password", autocomplete: "current-password", required: true },
    }),
    message,
    button("Inloggen", null, "primary"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const email = String(data.get("email") ?? "").trim();
    const password = String(data.get("password") ?? "");
    if (!email || !password) {
      message.replaceChildren(alertBox("error", "Vul uw e-mailadres en wachtwoord in."));
      return;
    }
    const submit = form.querySelector("button") as HTMLButtonElement;
    submit.disabled = true;
    try {
      const account = await login(email, password);
      setAccount(account);
      const back = params.get("terug");
      navigate(
        back && back.startsWith("/") && !back.startsWith("//") ? back : homeOf(account),
        true,
      );
    } catch (error) {
      const text =
        (error as { status?: number }).status === 401
          ? "Deze combinatie van e-mailadres en wachtwoord kennen we niet."
          : describeError(error);
      message.replaceChildren(alertBox("error", text));
      submit.disabled = false;
    }
  });
  main.append(form);
}

// The consultation page: focus the error summary, and suggest CIE-10 codes while the doctor types.
// Without this file the page still works: the summary is at the top, and "Search the catalogue"
// redraws the form with the matches as buttons that choose a code.
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
  }

  const catalogue = document.querySelector("[data-cie10-url]");
  if (!catalogue) {
    return;
  }
  const query = catalogue.querySelector("#id_cie10_query");
  const code = catalogue.querySelector("#id_diagnosis_code");
  const results = catalogue.querySelector("#cie10-results");
  const diagnosis = document.querySelector("#id_diagnosis");
  let timer = null;
  let latest = 0;

  query.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const text = query.value.trim();
      if (text.length < 2) {
        results.replaceChildren();
        return;
      }
      const asked = ++latest;
      const url = `${catalogue.dataset.cie10Url}?q=${encodeURIComponent(text)}`;
      try {
        const response = await fetch(url, { credentials: "same-origin" });
        if (response.ok && asked === latest) {
          results.innerHTML = await response.text();
        }
      } catch {
        // Offline or refused: the "Search the catalogue" button still works.
      }
    }, 250);
  });

  // Enter in the search box searches, rather than submitting the whole note.
  query.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      query.dispatchEvent(new Event("input"));
    }
  });

  results.addEventListener("click", (event) => {
    const choice = event.target.closest("button[name=choose_cie10]");
    if (!choice) {
      return;
    }
    event.preventDefault();
    code.value = choice.value;
    if (diagnosis && !diagnosis.value.trim()) {
      diagnosis.value = choice.dataset.description;
    }
    results.replaceChildren();
    query.value = "";
    code.focus();
  });
});

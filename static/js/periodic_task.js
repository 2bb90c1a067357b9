// Admin, periodic task form (django_celery_beat): under the crontab field, the
// schedule in words, as the package's own inline script does.
(() => {
  const $ = django.jQuery;
  const script = document.getElementById("periodic-task-overrides");
  const readableCrontabs = JSON.parse(document.getElementById("readable-crontabs").textContent);
  const originalHelp = script.dataset.crontabHelp || "";
  $(".field-crontab_translation").hide();
  $(".field-crontab").change(() => {
    const help = $(".field-crontab .help").text(originalHelp);
    help.append("<br>", document.createTextNode(`Translation: ${readableCrontabs[$("#id_crontab").val()]}`));
  });
})();
